# Slow, independent reference for the features job (mawk/gawk), for small inputs only (1M rows: ~7 s, memory
# grows with customers x distinct days). Used to check the peers against a second, plain implementation:
#   awk -f bench/features/reference.awk bench/out/orders-1000000.csv > /tmp/ref.csv
#   bench/features/compare /tmp/ref.csv bench/out/features/orders-1000000/duckdb.csv
# Amounts are parsed as integer cents (the '.' removed: the input has exactly 2 decimals), days with the
# days-from-civil algorithm (H. Hinnant). Integers stay exact in awk's doubles below 2^53.
# days since 1970-01-01 of YYYY-MM-DD
function dn(s,  y,m,d,era,yoe,doy,doe){ y=substr(s,1,4)+0; m=substr(s,6,2)+0; d=substr(s,9,2)+0; if(m<=2)y--; era=int((y>=0?y:y-399)/400); yoe=y-era*400; doy=int((153*(m+(m>2?-3:9))+2)/5)+d-1; doe=yoe*365+int(yoe/4)-int(yoe/100)+doy; return era*146097+doe-719468 }
BEGIN{FS=","}
NR>1{ c=$1; d=$2; a=$3; sub(/\./,"",a); a=a+0; if(!(c in n)){n[c]=0; f[c]=d; l[c]=d; t[c]=0}
 n[c]++; t[c]+=a; if(d<f[c])f[c]=d; if(d>l[c])l[c]=d; if(!((c SUBSEP d) in seen)){seen[c SUBSEP d]=1; pd[c]++}; if(d>gmax)gmax=d }
END{ print "customer_id,first_date,last_date,recency_days,tenure_days,purchase_days,net_revenue,mean_order_value,segment"; G=dn(gmax)
 for(c in n){ r=G-dn(l[c]); te=dn(l[c])-dn(f[c]); m=int((2*t[c]+n[c])/(2*n[c])); seg=(pd[c]>=4&&r<=180)?"loyal":(r<=365?"general":"lapsed");
 printf "%s,%s,%s,%d,%d,%d,%d.%02d,%d.%02d,%s\n", c,f[c],l[c],r,te,pd[c],int(t[c]/100),t[c]%100,int(m/100),m%100,seg } }
